"""View-models: pure functions turning domain data into what the UI components render."""
