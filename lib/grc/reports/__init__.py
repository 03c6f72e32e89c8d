"""HTML reports: notebook runner, views, charts, index page."""
