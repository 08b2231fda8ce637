"""Typed models of the Conversation API, named as the API's schemas."""

from .apps import *  # noqa: F403
from .apps import __all__ as _apps_all
from .batches import *  # noqa: F403
from .batches import __all__ as _batches_all
from .capability import *  # noqa: F403
from .capability import __all__ as _capability_all
from .channel_specific import *  # noqa: F403
from .channel_specific import __all__ as _channel_specific_all
from .common import *  # noqa: F403
from .common import __all__ as _common_all
from .consents import *  # noqa: F403
from .consents import __all__ as _consents_all
from .contacts import *  # noqa: F403
from .contacts import __all__ as _contacts_all
from .conversations import *  # noqa: F403
from .conversations import __all__ as _conversations_all
from .events import *  # noqa: F403
from .events import __all__ as _events_all
from .messages import *  # noqa: F403
from .messages import __all__ as _messages_all
from .opt_ins import *  # noqa: F403
from .opt_ins import __all__ as _opt_ins_all
from .project_settings import *  # noqa: F403
from .project_settings import __all__ as _project_settings_all
from .templates import *  # noqa: F403
from .templates import __all__ as _templates_all
from .transcoding import *  # noqa: F403
from .transcoding import __all__ as _transcoding_all
from .webhooks import *  # noqa: F403
from .webhooks import __all__ as _webhooks_all

__all__ = [
    *_common_all,
    *_messages_all,
    *_channel_specific_all,
    *_apps_all,
    *_webhooks_all,
    *_project_settings_all,
    *_capability_all,
    *_transcoding_all,
    *_consents_all,
    *_opt_ins_all,
    *_contacts_all,
    *_conversations_all,
    *_events_all,
    *_templates_all,
    *_batches_all,
]
