# Custody ledger (CSV export)
book-column-time = Time
book-column-record = Record
book-column-item = Resident and item
book-column-locker = Locker
book-column-staff = Staff
book-column-purpose = Purpose or recipient
book-column-due = Due back
book-column-event-id = Record id
book-record-checked-out = Checked out
book-record-returned = Returned
book-record-handed-over = Handed over
book-record-released = Released
book-record-deposited = Left with hospital
book-record-requested = Checkout requested
book-record-approved = Approved
book-record-denied = Denied
# 家族向けの記録の一覧 / the family history page
book-history-row = { $record } · { $at }
book-history-field = { $column }: { $value }
