"""The errors carry typed attributes, and the hierarchy is what an except clause needs."""

from typing_extensions import assert_type

import aioclicksend
from aioclicksend import AsyncClickSend


async def send(cs: AsyncClickSend) -> None:
    try:
        await cs.sms.send(messages=[{"to": "+61411111111", "body": "hi"}])
    except aioclicksend.RequestValidationError as error:
        assert_type(error.problems, list[str])
    except aioclicksend.RateLimitError as error:
        assert_type(error.status, int)
    except aioclicksend.APIStatusError as error:
        print(error.status, error.response_code, error.response_msg, error.headers)
    except aioclicksend.APIConnectionError as error:
        assert_type(error.request_sent, bool)
    except aioclicksend.ClickSendError as error:
        print(error)
