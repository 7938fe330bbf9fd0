output "store_url" {
  description = "TRADEFLEET__ENGINE__STORE_URL (password not included: add it from your secret store)"
  value       = "postgresql+psycopg://tradefleet@${aws_db_instance.store.endpoint}/tradefleet"
}

output "bus_url" {
  description = "TRADEFLEET__SCALE__BUS__URL"
  value       = "rediss://${aws_elasticache_replication_group.bus.primary_endpoint_address}:6379/0"
}

output "image_repository" {
  value = aws_ecr_repository.tradefleet.repository_url
}

output "cluster_name" {
  value = aws_eks_cluster.tradefleet.name
}
