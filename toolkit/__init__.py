"""Below the services, above the contracts: the request toolkit every route uses and the CloudEvents codec."""
