"""The API's request and response models: the wire format of CONTRACT.md, documenting themselves for OpenAPI.

Each function imports only the modules of its own operations (every model costs cold-start time to build).
"""
