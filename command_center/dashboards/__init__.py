"""Named dashboards: layouts, widget placement, the widget add/remove service."""
