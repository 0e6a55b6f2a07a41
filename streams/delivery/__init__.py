"""Delivery: notices about meetings sent to the people and systems that asked for them.

| module | what |
| --- | --- |
| ``channels`` | what every channel implements: ``Notice``, ``Delivery``, ``Channel`` … |
| ``notifier`` | the ``notifier`` role: meeting events → notices → attempts, retries, dead letters |
| ``email`` | the SMTP channel |
| ``webhook`` | the webhook channel: signed JSON POSTs to the endpoints a tenant registered |
| ``webhook_signing`` | Standard Webhooks signatures: ``sign`` and the receiver's ``verify`` |

Must not: import ``http/``, ``projections/`` or ``ops/``, or read the environment.
"""
