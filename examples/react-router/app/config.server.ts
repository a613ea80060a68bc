const port = Number(process.env.PORT ?? 3000)

/** The address browsers use for this app; agent tasks redirect back to it. */
export const appUrl = process.env.APP_URL ?? `http://localhost:${port}`

export const behalfUrl = process.env.BEHALF_API_URL ?? 'http://localhost:4000'
