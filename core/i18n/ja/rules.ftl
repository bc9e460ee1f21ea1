# ルールエンジン
rules-engine-failure = ルールを評価できませんでした。安全のため許可しません。管理者に連絡してください。
rules-not-permitted = 施設のルールにこの操作を許可する規定がありません。
rules-fail-closed = 判断できないときは許可しない
