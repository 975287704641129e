"""Local tooling (DynamoDB Local, table bootstrap, dev server, tokens). Never imported by product code."""
