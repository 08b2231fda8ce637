"""Typed models of the Conversation API, named as the API's schemas."""

from .channel_specific import *  # noqa: F403
from .channel_specific import __all__ as _channel_specific_all
from .common import *  # noqa: F403
from .common import __all__ as _common_all
from .messages import *  # noqa: F403
from .messages import __all__ as _messages_all

__all__ = [*_common_all, *_messages_all, *_channel_specific_all]
