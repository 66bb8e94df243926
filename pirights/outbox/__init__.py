"""The transactional outbox (SPEC §12.2, §14): every message that leaves pirights.

A cause (a submission, a transition, a deadline alert, an accepted request's fulfilment task)
adds an `OutboxMessage` row in its own unit of work; `pirights worker` delivers due rows
afterwards. So nothing is sent from inside an HTTP request, nothing is sent for a change that
rolled back, and a crash between commit and send only delays the message (at least once).
"""
