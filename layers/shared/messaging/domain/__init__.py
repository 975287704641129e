"""The domain: conversations and their state machine, contacts, tenants, ids and errors. No boto3, no HTTP."""
