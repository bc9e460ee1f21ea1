# 管理簿（CSV出力）
book-column-time = 日時
book-column-record = 記録
book-column-item = 入所者・品目
book-column-locker = 保管庫
book-column-staff = 職員
book-column-purpose = 目的・相手
book-column-due = 返却予定
book-column-event-id = 記録ID
book-record-checked-out = 持出
book-record-returned = 返却
book-record-handed-over = 引継ぎ
book-record-released = 返還・引渡し
book-record-deposited = 病院へ預け
book-record-requested = 持出申請
book-record-approved = 承認
book-record-denied = 却下
# 家族向けの記録の一覧 / the family history page
book-history-row = { $record }　{ $at }
book-history-field = { $column }: { $value }
