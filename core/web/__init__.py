"""The web layer's kernel side: the Flask app factory and its runtime accessor, serving, the REST API."""
