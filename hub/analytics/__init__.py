"""Analytics: the operations console's reads (orders, feedback) and the money reports."""
