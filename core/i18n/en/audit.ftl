# audit
audit-title = Audit (stocktake)
audit-instruction-start = Compare what is in the lockers with the records. Press "Start audit".
audit-instruction-scan = Scan a locker's QR label. Complete the audit once every locker has been checked.
audit-instruction-locker = { $locker }: the items the records place here. Mark each one found or missing. If you find an item that is not on the list, scan its label.
audit-instruction-completed = The audit is complete. Its result is recorded and signed in the ledger.
audit-button-start = Start audit
audit-button-found = Found
audit-button-missing = Missing
audit-button-complete = Complete audit
audit-finding-unchecked = Not checked
audit-finding-found = Found
audit-finding-missing = Missing
audit-finding-unexpected = Not expected here
audit-progress = { $checked } of { $expected } expected items checked
audit-locker-progress = { $checked } of { $expected }
audit-completion-note = { $count ->
    [one] One item has not been checked; completing now records it as missing.
   *[other] { $count } items have not been checked; completing now records them as missing.
}
audit-summary = Of { $expected } expected items: { $found } found, { $missing } missing; { $unexpected } not expected where found
audit-error-expected-here = The records place this item in this locker. Mark it "Found" in the list instead.
