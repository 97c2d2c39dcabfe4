"""Design tokens shared by the UI components."""

ACCENTS = {
    "blue": "#3b82f6",
    "cyan": "#06b6d4",
    "green": "#22c55e",
    "amber": "#f59e0b",
    "red": "#ef4444",
    "violet": "#8b5cf6",
    "slate": "#64748b",
    "teal": "#14b8a6",
    "pink": "#ec4899",
}
SURFACE = "var(--gray-2)"
BORDER = "1px solid var(--gray-5)"
RADIUS = "12px"
CARD_STYLE = {
    "background": SURFACE,
    "border": BORDER,
    "border_radius": RADIUS,
    "padding": "16px",
}
