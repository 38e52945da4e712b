"""Bulk member import (CSV, XLSX) with a row-level report, export, personal data export, erasure."""
