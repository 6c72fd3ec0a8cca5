"""The emotion diary: entries written from offline phones, insights grouped in SQL, charts and the risk signals."""
