import { behalfMiddleware } from '@behalf/astro/server'

export const onRequest = behalfMiddleware()
