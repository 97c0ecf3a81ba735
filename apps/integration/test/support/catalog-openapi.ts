// The OpenAPI 3.1 description of a small catalogue API, as openapi-typescript 7 would generate its
// `paths` type — written by hand here (no tool is fetched), in the same shape, for openapi-fetch.
//
//   GET  /products/{id}    200 Product | 404 Error
//   POST /products         201 Product | 400 Error        (body: NewProduct)
//   GET  /reports/{name}   200 Report

/** The schemas of the API. */
export interface components {
  schemas: {
    Product: { id: number; name: string; stock: number };
    NewProduct: { name: string; stock: number };
    Report: { name: string; rows: number };
    Error: { error: string };
  };
}

type Json<Schema> = { headers: { [name: string]: unknown }; content: { 'application/json': Schema } };
type NoParameters = { query?: never; header?: never; path?: never; cookie?: never };
type Unused = { put?: never; delete?: never; options?: never; head?: never; patch?: never; trace?: never };

/** The operations of the API. */
export interface operations {
  getProduct: {
    parameters: { query?: never; header?: never; path: { id: number }; cookie?: never };
    requestBody?: never;
    responses: { 200: Json<components['schemas']['Product']>; 404: Json<components['schemas']['Error']> };
  };
  createProduct: {
    parameters: NoParameters;
    requestBody: { content: { 'application/json': components['schemas']['NewProduct'] } };
    responses: { 201: Json<components['schemas']['Product']>; 400: Json<components['schemas']['Error']> };
  };
  getReport: {
    parameters: { query?: never; header?: never; path: { name: string }; cookie?: never };
    requestBody?: never;
    responses: { 200: Json<components['schemas']['Report']> };
  };
}

/** The paths of the API, for `createClient<paths>()` of openapi-fetch. */
export interface paths {
  '/products/{id}': { parameters: NoParameters; get: operations['getProduct']; post?: never } & Unused;
  '/products': { parameters: NoParameters; get?: never; post: operations['createProduct'] } & Unused;
  '/reports/{name}': { parameters: NoParameters; get: operations['getReport']; post?: never } & Unused;
}
