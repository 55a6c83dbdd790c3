"""Configuration: the local manager.toml and the shared configuration kept in etcd."""
