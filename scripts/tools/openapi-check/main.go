// Command openapi-check replays recorded HTTP exchanges against an OpenAPI document with kin-openapi's
// openapi3filter, a validator independent of the project's own code, in both directions: every response
// must be documented (status, headers, body), and every request the service accepted must conform too.
//
// Usage: openapi-check <openapi.json> <exchanges.jsonl>; prints one line per violation, exits 1 if any.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// One recorded exchange; bodies are base64 (encoding/json decodes []byte from it).
type exchange struct {
	Method          string              `json:"method"`
	Target          string              `json:"target"`
	RequestHeaders  map[string][]string `json:"request_headers"`
	RequestBody     []byte              `json:"request_body"`
	Status          int                 `json:"status"`
	ResponseHeaders map[string][]string `json:"response_headers"`
	ResponseBody    []byte              `json:"response_body"`
}

const origin = "http://gateway.test"

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: openapi-check <openapi.json> <exchanges.jsonl>")
		os.Exit(2)
	}
	ctx := context.Background()
	doc, err := openapi3.NewLoader().LoadFromFile(os.Args[1])
	if err == nil {
		err = doc.Validate(ctx)
	}
	if err != nil {
		fmt.Println("document:", err)
		os.Exit(1)
	}
	doc.Servers = openapi3.Servers{{URL: origin}}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		fmt.Println("router:", err)
		os.Exit(1)
	}
	// Bodies the filter has no decoder for by default, read as opaque strings (their schemas are binary).
	for _, mediaType := range []string{"image/jpeg", "image/png", "image/webp", "image/avif", "image/gif", "text/html", "text/event-stream"} {
		openapi3filter.RegisterBodyDecoder(mediaType, openapi3filter.FileBodyDecoder)
	}

	file, err := os.Open(os.Args[2])
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	defer file.Close()
	scanner := bufio.NewScanner(file)
	scanner.Buffer(make([]byte, 0, 1<<20), 64<<20)
	violations, checked := 0, 0
	for scanner.Scan() {
		var recorded exchange
		if err := json.Unmarshal(scanner.Bytes(), &recorded); err != nil {
			fmt.Println("exchanges:", err)
			os.Exit(1)
		}
		checked++
		for _, problem := range check(ctx, router, recorded) {
			violations++
			fmt.Printf("%s %s → %d: %s\n", recorded.Method, recorded.Target, recorded.Status, problem)
		}
	}
	if err := scanner.Err(); err != nil {
		fmt.Println("exchanges:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "openapi-check: %d exchanges, %d violations\n", checked, violations)
	if violations > 0 || checked == 0 {
		os.Exit(1)
	}
}

// The ways one exchange departs from the document. A request the document refuses must have been refused
// (4xx); one the service accepted must conform. The response must always conform, its status documented.
func check(ctx context.Context, router routers.Router, recorded exchange) []string {
	request, err := http.NewRequestWithContext(ctx, recorded.Method, origin+recorded.Target, bytes.NewReader(recorded.RequestBody))
	if err != nil {
		return []string{err.Error()}
	}
	request.Header = canonical(recorded.RequestHeaders)
	route, params, err := router.FindRoute(request)
	if err != nil {
		return []string{"no documented operation: " + err.Error()}
	}
	schemas := []openapi3.SchemaValidationOption{openapi3.EnableJSONSchema2020()}
	options := &openapi3filter.Options{
		AuthenticationFunc:      openapi3filter.NoopAuthenticationFunc,
		MultiError:              true,
		SchemaValidationOptions: schemas,
	}
	input := &openapi3filter.RequestValidationInput{Request: request, PathParams: params, Route: route, Options: options}
	var problems []string
	if err := openapi3filter.ValidateRequest(ctx, input); err != nil && (recorded.Status < 400 || recorded.Status >= 500) {
		problems = append(problems, "request: "+err.Error())
	}
	response := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: input,
		Status:                 recorded.Status,
		Header:                 canonical(recorded.ResponseHeaders),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true, SchemaValidationOptions: schemas},
	}
	response.SetBodyBytes(recorded.ResponseBody)
	if err := openapi3filter.ValidateResponse(ctx, response); err != nil {
		problems = append(problems, "response: "+err.Error())
	}
	return problems
}

// Header names as recorded (lower case from Node) in Go's canonical form, which lookups expect.
func canonical(recorded map[string][]string) http.Header {
	header := http.Header{}
	for name, values := range recorded {
		for _, value := range values {
			header.Add(name, value)
		}
	}
	return header
}
