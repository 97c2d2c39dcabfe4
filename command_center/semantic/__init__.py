"""The semantic layer: catalog + data dictionary + known values, and metric composition."""
