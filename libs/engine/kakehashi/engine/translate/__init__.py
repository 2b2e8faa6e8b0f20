"""Translation between Garoon / Graph wire shapes and the normalized event."""
