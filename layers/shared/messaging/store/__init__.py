"""Data access: DynamoDB items, keys, conditions and transactions, behind `protocol.ConversationStore`."""
