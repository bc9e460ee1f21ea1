# Approvals
approval-title = Waiting for approval
approval-summary = { $count ->
    [one] 1 request waiting
   *[other] { $count } requests waiting
}
approval-when = Asked { $asked }, due back { $due }
approval-approve = Approve
approval-deny = Deny
approval-granted = Approved. The requester is told.
approval-denied = Denied. The requester sees the reason.
