"""The GraphQL API at `/admin/gql`, in the classic (Graphene-era) naming the client uses."""
