"""Order tracking at the hub: kitchen state events in, timelines and preparation times out."""
