"""Card readers and barcode scanners on serial ports."""
