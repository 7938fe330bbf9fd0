variable "region" {
  type    = string
  default = "us-east-1"
}

variable "vpc_id" {
  type        = string
  description = "VPC holding the cluster, the database and Redis"
}

variable "subnet_ids" {
  type        = list(string)
  description = "At least two private subnets in different availability zones"
}

variable "db_password" {
  type      = string
  sensitive = true
}

variable "db_instance_class" {
  type    = string
  default = "db.t4g.medium"
}

variable "redis_node_type" {
  type    = string
  default = "cache.t4g.small"
}

variable "node_instance_type" {
  type    = string
  default = "c7i.xlarge"
}

variable "node_count" {
  type    = number
  default = 2
}
