"""The HTTP edge: request/response models, body checks, the caller's identity, errors as problem details."""
