"""Widget builder: WidgetSpec, the LangGraph clarifier, its LLM backends and persistence."""
