"""Plain records that cross layers: repositories return them, services and the API use them.

Nothing here touches a database or a connection."""
