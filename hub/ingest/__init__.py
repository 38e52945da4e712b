"""The MQTT ingest worker: uplink events in, idempotent batch commits, acks after commit."""
