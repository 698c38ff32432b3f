"""Accessibility conformance: the ウェブアクセシビリティ方針 and 試験結果 pages (JIS X 8341-3:2016 / WCAG 2.2)."""
