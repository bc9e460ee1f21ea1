# 承認
approval-title = 承認待ち
approval-summary = 承認待ち { $count } 件
approval-when = 申請 { $asked }　返却予定 { $due }
approval-approve = 承認する
approval-deny = 承認しない
approval-granted = 承認しました。申請者に通知されます。
approval-denied = 承認しませんでした。理由が申請者に表示されます。
