from ai.backend.manager.clients.etcd.client import EtcdClient, EtcdUnavailable

__all__ = ["EtcdClient", "EtcdUnavailable"]
