"""Receipt printers: receipt model and layout, ESC/POS rendering, status, a durable print queue."""
