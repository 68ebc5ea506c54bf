"""Pacing the workers of one ClickSend account together: :class:`RedisThrottle`, an attempt hook whose
token bucket lives in Redis (``pip install 'aioclicksend[redis]'``).

    from aioclicksend import AsyncClickSend
    from aioclicksend.throttle import RedisThrottle

    async with RedisThrottle("redis://redis:6379/0", rate=20) as throttle:
        await throttle.check()  # a ClientConfigurationError now if Redis does not answer
        async with AsyncClickSend(hooks=[throttle]) as cs:
            await cs.sms.send_bulk(messages)

redis-py is imported when a throttle is made, not with this package.
"""

from ._redis import RedisThrottle

__all__ = ["RedisThrottle"]
