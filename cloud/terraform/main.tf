# tradefleet on AWS: an EKS cluster for the Deployments in ../k8s, RDS PostgreSQL for the
# store, ElastiCache Redis for the bus, an ECR repository for the image.
#   terraform init && terraform apply -var "db_password=..." -var "vpc_id=..." -var 'subnet_ids=["...","..."]'

terraform {
  required_version = ">= 1.6"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.80"
    }
  }
}

provider "aws" {
  region = var.region
}

resource "aws_ecr_repository" "tradefleet" {
  name                 = "tradefleet"
  image_tag_mutability = "IMMUTABLE"
  image_scanning_configuration {
    scan_on_push = true
  }
}

resource "aws_security_group" "data" {
  name        = "tradefleet-data"
  description = "PostgreSQL and Redis, reachable from the cluster only"
  vpc_id      = var.vpc_id

  ingress {
    description     = "PostgreSQL from EKS nodes"
    from_port       = 5432
    to_port         = 5432
    protocol        = "tcp"
    security_groups = [aws_eks_cluster.tradefleet.vpc_config[0].cluster_security_group_id]
  }
  ingress {
    description     = "Redis from EKS nodes"
    from_port       = 6379
    to_port         = 6379
    protocol        = "tcp"
    security_groups = [aws_eks_cluster.tradefleet.vpc_config[0].cluster_security_group_id]
  }
  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_db_subnet_group" "tradefleet" {
  name       = "tradefleet"
  subnet_ids = var.subnet_ids
}

resource "aws_db_instance" "store" {
  identifier                  = "tradefleet-store"
  engine                      = "postgres"
  engine_version              = "16.6"
  instance_class              = var.db_instance_class
  allocated_storage           = 50
  storage_encrypted           = true
  db_name                     = "tradefleet"
  username                    = "tradefleet"
  password                    = var.db_password
  db_subnet_group_name        = aws_db_subnet_group.tradefleet.name
  vpc_security_group_ids      = [aws_security_group.data.id]
  backup_retention_period     = 14
  deletion_protection         = true
  skip_final_snapshot         = false
  final_snapshot_identifier   = "tradefleet-store-final"
  auto_minor_version_upgrade  = true
}

resource "aws_elasticache_subnet_group" "tradefleet" {
  name       = "tradefleet"
  subnet_ids = var.subnet_ids
}

resource "aws_elasticache_replication_group" "bus" {
  replication_group_id       = "tradefleet-bus"
  description                = "tradefleet Redis Streams bus"
  engine                     = "redis"
  engine_version             = "7.1"
  node_type                  = var.redis_node_type
  num_cache_clusters         = 2
  automatic_failover_enabled = true
  port                       = 6379
  subnet_group_name          = aws_elasticache_subnet_group.tradefleet.name
  security_group_ids         = [aws_security_group.data.id]
  at_rest_encryption_enabled = true
  transit_encryption_enabled = true
}

resource "aws_iam_role" "cluster" {
  name = "tradefleet-eks-cluster"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "eks.amazonaws.com" } }]
  })
}

resource "aws_iam_role_policy_attachment" "cluster" {
  role       = aws_iam_role.cluster.name
  policy_arn = "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"
}

resource "aws_eks_cluster" "tradefleet" {
  name     = "tradefleet"
  role_arn = aws_iam_role.cluster.arn
  vpc_config {
    subnet_ids = var.subnet_ids
  }
  depends_on = [aws_iam_role_policy_attachment.cluster]
}

resource "aws_iam_role" "nodes" {
  name = "tradefleet-eks-nodes"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ec2.amazonaws.com" } }]
  })
}

resource "aws_iam_role_policy_attachment" "nodes" {
  for_each = toset([
    "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
    "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
    "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
  ])
  role       = aws_iam_role.nodes.name
  policy_arn = each.value
}

resource "aws_eks_node_group" "compute" {
  cluster_name    = aws_eks_cluster.tradefleet.name
  node_group_name = "compute"
  node_role_arn   = aws_iam_role.nodes.arn
  subnet_ids      = var.subnet_ids
  instance_types  = [var.node_instance_type]
  scaling_config {
    desired_size = var.node_count
    min_size     = 1
    max_size     = var.node_count * 2
  }
  depends_on = [aws_iam_role_policy_attachment.nodes]
}
