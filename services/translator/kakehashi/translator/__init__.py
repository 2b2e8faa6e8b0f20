"""Translator / conflict resolver service."""

from kakehashi.translator.service import TranslatorService

SERVICE = TranslatorService

__all__ = ["SERVICE", "TranslatorService"]
