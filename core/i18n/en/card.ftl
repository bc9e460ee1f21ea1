# Reading the My Number card (NFC, no PIN)
card-error-not-my-number-card = This is not a My Number card. Hold the resident's My Number card to the phone.
card-error-phone-token = This is a phone-based certificate. It needs a PIN, so it cannot be used. Hold the card itself to the phone.
card-error-file-not-found = Data the card should hold was not found (6A 82).
card-error-security-status = The card did not allow reading (69 82). No PIN is used here; please check the card.
card-error-tag-lost = The card moved away. Hold it to the phone again and keep it still until reading ends.
card-error-timeout = The card did not answer in time. Hold it to the phone again.
card-error-io = A communication error occurred while reading ({ $detail }). Hold the card to the phone again.
card-error-response-too-long = The card sent more than it announced; reading was stopped.
card-error-truncated = The card's answer ended early. Hold it to the phone again.
card-error-bad-certificate = The card's certificate could not be read (it is not well formed).
card-error-malformed = The card's answer is not well formed.
card-error-status = The card returned an error ({ $status }).
card-mismatch = This is not the registered card. The return was not recorded. Ask a supervisor to check (the mismatch was recorded).
card-not-registered = No card is registered for this item, so it cannot be compared. Register the card in setup.
