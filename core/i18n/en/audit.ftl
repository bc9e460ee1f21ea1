# audit
