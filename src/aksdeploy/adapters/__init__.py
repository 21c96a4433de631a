"""The only code that imports azure.*, docker and kubernetes; each adapter translates its library's errors."""
