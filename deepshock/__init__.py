"""Shared logic of 'The DeepSeek Shock': data loading, returns and event study, charts."""
