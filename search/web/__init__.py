"""The web app of `patentcl serve` (search/web/app.py) and its benchmark."""
