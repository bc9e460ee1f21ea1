# マイナンバーカードの読み取り（NFC・暗証番号なし）
card-error-not-my-number-card = マイナンバーカードではありません。入所者のマイナンバーカードをかざしてください。
card-error-phone-token = スマートフォンの電子証明書です。暗証番号が必要なため使えません。カード本体をかざしてください。
card-error-file-not-found = カードに必要なデータが見つかりませんでした（6A 82）。
card-error-security-status = カードが読み取りを許可しませんでした（69 82）。暗証番号は使いません。カードを確かめてください。
card-error-tag-lost = カードが離れました。もう一度、読み取りが終わるまでカードを動かさずにかざしてください。
card-error-timeout = カードが時間内に応答しませんでした。もう一度かざしてください。
card-error-io = 読み取り中に通信エラーが起きました（{ $detail }）。もう一度かざしてください。
card-error-response-too-long = カードの応答が予告された長さより長いため、読み取りを中止しました。
card-error-truncated = カードの応答が途中で終わりました。もう一度かざしてください。
card-error-bad-certificate = カードの電子証明書を読み取れませんでした（形式が正しくありません）。
card-error-malformed = カードの応答の形式が正しくありません。
card-error-status = カードがエラーを返しました（{ $status }）。
card-mismatch = 登録されたカードと違います。返却は記録していません。責任者に確認を依頼してください（不一致を記録しました）。
card-not-registered = この品目にはカードが登録されていないため、照合できません。設定でカードを登録してください。
