"""The clients' operations, one mixin per concern; client.py and client_async.py compose them."""
